-- expect: instruction budget exceeded
return { decide = function(ctx)
  local co = coroutine.wrap(function() while true do end end)
  co()
end }
