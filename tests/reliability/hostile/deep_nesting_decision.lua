-- expect: counts must be integers
return { decide = function(ctx)
  local t = {}
  for i = 1, 100000 do t = { t } end
  return { replicas = t }
end }
