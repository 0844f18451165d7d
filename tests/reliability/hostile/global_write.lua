-- expect: read-only
return { decide = function(ctx) local g = getmetatable(_G) math.huge = 1 end }
