-- expect: attempt to index a boolean value
return { decide = function(ctx)
  local f = load("return getmetatable(\"\").__index.dump", "x", "t", { getmetatable = getmetatable })
  return { replicas = f() }
end }
