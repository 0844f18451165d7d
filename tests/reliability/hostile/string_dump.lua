-- expect: string.dump is not allowed
return { decide = function(ctx) string.dump(function() end) end }
