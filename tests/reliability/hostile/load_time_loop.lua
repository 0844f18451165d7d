-- expect-load: instruction budget exceeded|timed out
while true do end
