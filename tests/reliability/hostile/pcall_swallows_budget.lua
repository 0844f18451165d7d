-- expect: instruction budget exceeded|timed out
return { decide = function(ctx)
  while true do pcall(function() while true do end end) end
end }
