-- luascale.hpa: the one-metric rule on a number agrees with the general rule everywhere.
return {
  policy = "hpa_paths.lua",
  cases = {
    { name = "hpa.replica and hpa.replicas give the same proposal and reason on 4,680 inputs",
      expect = { replicas = 0, reason = "4680 cases agree" } },
  },
}
