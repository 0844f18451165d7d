-- expect: instruction budget exceeded|timed out
return { decide = function(ctx)
  while true do
    local co = coroutine.create(function() while true do end end)
    coroutine.resume(co)
  end
end }
