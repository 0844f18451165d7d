-- policies/tests/combo.lua — HPA on CPU, a queue, and business hours, combined (for combine_test).
local P = require "luascale.policies"
local combine = require "luascale.combine"

return combine.max {
  P.hpa { metrics = { { signal = "cpu", type = "Utilization", target = 70 } } },
  P.queue { signal = "jobs", per_replica = 10, min = 1 },
  P.scheduled { zone = "Europe/Berlin",
                windows = { { start = "0 8 * * mon-fri", stop = "0 18 * * mon-fri", min = 4, name = "business hours" },
                            { start = "0 0 * * sun", duration = "24h", max = 2 } } },
}
