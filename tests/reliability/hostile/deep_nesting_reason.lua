-- expect: reason must be a string
return { decide = function(ctx)
  local t = {}
  for i = 1, 100000 do t = { t } end
  return { replicas = 1, reason = t }
end }
