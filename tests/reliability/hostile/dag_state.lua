-- expect-state: more than 100000 values
return { decide = function(ctx)
  local t = {}
  for i = 1, 60 do t = { t, t } end
  ctx.state.bomb = t
  return { replicas = 1 }
end }
