-- expect: instruction budget exceeded|timed out
return { decide = function(ctx)
  local x <close> = setmetatable({}, { __close = function() while true do end end })
  error("boom")
end }
