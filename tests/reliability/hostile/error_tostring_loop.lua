-- expect: error object is a table value
return { decide = function(ctx) error(setmetatable({}, { __tostring = function() while true do end end })) end }
