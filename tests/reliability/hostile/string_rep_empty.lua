-- expect: instruction budget exceeded|timed out
return { decide = function(ctx)
  while true do local s = string.rep("", math.maxinteger) end
end }
