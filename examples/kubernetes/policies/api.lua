-- examples/kubernetes/policies/api.lua — HPA's CPU rule over the per-pod list the kubernetes
-- source delivers ({value, request, ready} per pod), with the standard library's HPA policy.
return require("luascale.policies").hpa()
