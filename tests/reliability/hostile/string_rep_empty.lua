-- expect: instruction budget exceeded
return { decide = function(ctx)
  while true do local s = string.rep("", math.maxinteger) end
end }
