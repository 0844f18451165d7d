-- luascale.stats, luascale.sizing, luascale.units and luascale.nodes through the probe policy.
local function call(name, module, fn, args, want)
  return { name = name, params = { module = module, fn = fn, args = args },
           expect = { reason = "result=" .. want } }
end
local function fails(name, module, fn, args, want)
  return { name = name, params = { module = module, fn = fn, args = args }, expect = { error = want } }
end
local S, Z, U, N = "luascale.stats", "luascale.sizing", "luascale.units", "luascale.nodes"

local seasonal = {}
for i = 1, 12 do seasonal[i] = ({ 1, 2, 3, 4 })[(i - 1) % 4 + 1] + 10 end

return {
  policy = "probe.lua",
  cases = {
    call("mean", S, "mean", { { 1, 2, 3 } }, "2;"),
    call("mean of nothing is nil", S, "mean", { {} }, "nil;"),
    call("ewma seeds with the first value", S, "ewma", { { 10, 20 }, 0.5 }, "15;"),
    call("ewma_update", S, "ewma_update", { 10, 20, 0.25 }, "12.5;"),
    call("p50 interpolates", S, "percentile", { { 10, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 50 }, "5.5;"),
    call("p90", S, "percentile", { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 90 }, "9.1;"),
    call("p0 and p100 are min and max", S, "percentile", { { 3, 1, 2 }, 100 }, "3;"),
    call("linear regression", S, "linear_regression", { { 1, 2, 3 }, { 3, 5, 7 } }, "2|1;"),
    call("linear regression on 1..n", S, "linear_regression", { { 5, 5, 5, 5 } }, "0|5;"),
    call("linear regression needs two distinct xs", S, "linear_regression", { { 1, 1 }, { 2, 3 } }, "nil;"),
    call("holt-winters repeats a pure seasonal pattern", S, "holt_winters", { seasonal, 4, { horizon = 6 } },
      "{1=11,2=12,3=13,4=14,5=11,6=12}|"),
    call("holt-winters needs two seasons", S, "holt_winters", { { 1, 2, 3, 4, 5, 6, 7 }, 4 }, "nil;"),

    call("pods for 100 req/s at 20 per pod x 1.5 = 8", Z, "pods_for_rate", { { rate = 100, per_pod = 20, buffer = 1.5 } }, "8|7.5;"),
    call("Little's law: 10 req/s x 5 s / 2 per worker = 25", Z, "workers", { { rate = 10, latency = 5, per_worker = 2 } }, "25|25;"),
    call("25 workers at 2 per instance = 13 instances", Z, "instances", { { workers = 25, per_instance = 2 } }, "13|12.5;"),
    call("1,000 users x 3 req/min = 50 req/s", Z, "rate_from_users", { { users = 1000, per_user = 3 } }, "50;"),
    call("replica range: 50 req/s, 50 per pod, +30% -> 2, x3 -> 6", Z, "replica_range",
      { { rate = 50, per_pod = 50, headroom = 0.3, burst = 3 } }, "2|6;"),
    call("fluid nodes: 8 x 250m + 200 x 500m on 3.8 vCPU = 27", Z, "nodes_for_requests",
      { { node = { cpu = 3.8 }, pods = { { cpu = "250m", count = 8 }, { cpu = "500m", count = 200 } } } },
      "27|26.8421|{cpu=102,memory=0};"),
    fails("sizing rejects a zero capacity", Z, "pods_for_rate", { { rate = 1, per_pod = 0 } }, "per_pod must be"),

    call("quantity 500m", U, "cpu", { "500m" }, "0.5;"),
    call("quantity 512Mi", U, "memory", { "512Mi" }, "536870912;"),
    call("quantity 1.5Gi", U, "memory", { "1.5Gi" }, "1610612736;"),
    call("quantity 2k", U, "quantity", { "2k" }, "2000;"),
    call("numbers pass through", U, "memory", { 1024 }, "1024;"),
    fails("bad quantity", U, "memory", { "12 parsecs" }, "is not a quantity"),

    call("bin-packing: the Cluster Autoscaler benchmark case -> 2595 nodes", N, "estimate",
      { { node = { cpu = "1000m", memory = "5000Mi", pods = 100 },
          pods = { { cpu = "95m", count = 1000 }, { cpu = "50m", count = 50000 } } } },
      "{limited=false,nodes=2595,on_upcoming=0,placed=51000,too_big={},unplaced=0,used_cpu=2595,used_memory=0};"),
    call("bin-packing: zero pods -> zero nodes", N, "estimate", { { node = { cpu = 4, memory = "16Gi" }, pods = {} } },
      "{limited=false,nodes=0,on_upcoming=0,placed=0,too_big={},unplaced=0,used_cpu=0,used_memory=0};"),
    call("bin-packing: a pod larger than a node is named and left out", N, "estimate",
      { { node = { cpu = 4, memory = "16Gi" },
          pods = { { name = "huge", cpu = 8, count = 2 }, { name = "small", cpu = 1, count = 4 } } } },
      "{limited=false,nodes=1,on_upcoming=0,placed=4,too_big={1=huge},unplaced=2,used_cpu=4,used_memory=0};"),
    call("bin-packing: the pod-count limit", N, "estimate",
      { { node = { cpu = 100, memory = "100Gi", pods = 10 }, pods = { { cpu = "10m", count = 25 } } } },
      "{limited=false,nodes=3,on_upcoming=0,placed=25,too_big={},unplaced=0,used_cpu=0.25,used_memory=0};"),
    call("bin-packing: memory binds", N, "estimate",
      { { node = { cpu = 4, memory = "16Gi" }, pods = { { cpu = "100m", memory = "5Gi", count = 7 } } } },
      "{limited=false,nodes=3,on_upcoming=0,placed=7,too_big={},unplaced=0,used_cpu=0.7,used_memory=37580963840};"),
    call("bin-packing: max_nodes gives a partial estimate", N, "estimate",
      { { node = { cpu = 1, memory = "1Gi", pods = 10 }, pods = { { cpu = "10m", count = 25 } }, max_nodes = 2 } },
      "{limited=true,nodes=2,on_upcoming=0,placed=20,too_big={},unplaced=5,used_cpu=0.2,used_memory=0};"),
    call("bin-packing: later groups fill the gaps of earlier nodes", N, "estimate",
      { { node = { cpu = 3.8, memory = "14Gi" },
          pods = { { cpu = "250m", count = 8 }, { cpu = "500m", count = 200 } } } },
      "{limited=false,nodes=29,on_upcoming=0,placed=208,too_big={},unplaced=0,used_cpu=102,used_memory=0};"),
    call("fluid lower bound", N, "fluid",
      { { node = { cpu = 3.8, memory = "14Gi" }, pods = { { cpu = "250m", count = 8 }, { cpu = "500m", count = 200 } } } },
      "27|"),
    fails("node template without resources", N, "estimate", { { node = {}, pods = {} } }, "needs cpu or memory"),
  },
}
