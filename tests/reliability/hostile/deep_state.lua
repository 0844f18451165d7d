-- expect-state: nested deeper than 64
return { decide = function(ctx)
  local t = {}
  for i = 1, 1000 do t = { t } end
  ctx.state.deep = t
  return { replicas = 1 }
end }
