-- expect: instruction budget exceeded|timed out
return { decide = function(ctx)
  while true do xpcall(function() while true do end end, function() while true do end end) end
end }
