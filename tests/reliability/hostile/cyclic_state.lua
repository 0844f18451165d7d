-- expect-state: table cycle
return { decide = function(ctx)
  local t = {}
  t.self = t
  ctx.state.c = t
  return { replicas = 1 }
end }
