-- expect: instruction budget exceeded|timed out
return { decide = function(ctx)
  local co = coroutine.wrap(function() while true do end end)
  co()
end }
