-- expect: too costly
return { decide = function(ctx)
  return { replicas = #tostring(string.find(string.rep("a", 3000), string.rep("a-", 12) .. "b")) }
end }
