#!/usr/bin/env python3
"""Files `luascale run` does not own are never touched (see RELIABILITY.md, "Files it writes"):
  1. links planted at every temp name a writer could predict from the pid (the count file's and
     the state file's, old and new forms) are never written through: the files they point to
     keep their content and mode, and the count and state files are written anyway;
  2. a count file made a symbolic link while running is refused on every tick, naming the link;
     the file it points to is untouched and the link stays a link; a symlinked count file, state
     file or log file in the config is refused at start (exit 1, the link named);
  3. the count file keeps its mode (0444 stays 0444, 0640 stays 0640);
  4. a directory as the count file is refused at start; made a directory while running, it is a
     read error on every tick and /metrics shows no current or desired count (never a 0).
Usage: file_ownership.py LUASCALE"""
import json, os, stat, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Checks, Run, read_count, run_once, wait_for, write_json

luascale = sys.argv[1]
check = Checks()

with tempfile.TemporaryDirectory(prefix="luascale-files-") as d:
    open(os.path.join(d, "up.lua"), "w").write(
        "return { decide = function(ctx) return { replicas = ctx.target.replicas + 1 } end }\n")
    victims = []

    def victim(name, mode=0o600):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write("precious " + name + "\n")
        os.chmod(path, mode)
        victims.append(path)
        return path

    def untouched(path):
        st = os.lstat(path)
        return (stat.S_ISREG(st.st_mode) and open(path).read() == "precious " +
                os.path.basename(path) + "\n")

    def count_target(name, start=2):
        return {"kind": "file", "path": os.path.join(d, name), "replicas": start}

    pols = [{"name": n, "script": "up.lua", "interval": "300ms", "maxReplicas": 1000000,
             "target": count_target(n)} for n in ("count", "ro", "grouped", "swapped", "dir")]
    config = os.path.join(d, "config.json")
    state = os.path.join(d, "state.json")
    write_json(config, {"policies": pols, "state_file": state,
                        "server": {"listen": "127.0.0.1:0"}})
    # Existing count files with their own modes.
    for name, mode in (("ro", 0o444), ("grouped", 0o640)):
        with open(os.path.join(d, name), "w") as f:
            f.write("2\n")
        os.chmod(os.path.join(d, name), mode)

    run = Run(luascale, config)
    check(run.addr is not None, "run started")
    # 1. Plant links at every name predictable from the pid, before the first tick writes.
    planted = 0
    for base in ("count", "state.json"):
        for form in (f"{base}.tmp.{run.pid}", f".{base}.tmp.{run.pid}"):
            os.symlink(victim(f"victim-{planted}"), os.path.join(d, form))
            planted += 1
    swapped_victim = victim("victim-swapped", 0o640)
    wait_for(lambda: os.path.exists(os.path.join(d, "count")) and
             read_count(os.path.join(d, "count")) >= 5, 15)
    # 2. The "swapped" count file becomes a link to a victim while running; "dir" a directory.
    os.unlink(os.path.join(d, "swapped")) if os.path.exists(os.path.join(d, "swapped")) else None
    os.symlink(swapped_victim, os.path.join(d, "swapped"))
    if os.path.exists(os.path.join(d, "dir")):
        os.unlink(os.path.join(d, "dir"))
    os.mkdir(os.path.join(d, "dir"))
    # Let every policy tick several times more.
    time.sleep(2)
    _, metrics = run.get("/metrics")
    _, decisions = run.get("/decisions?policy=dir")
    rc = run.stop()
    check(rc == 0, f"SIGTERM: exit 0 (rc {rc})")

    writes = read_count(os.path.join(d, "count")) - 2
    check(writes >= 5, f"the count file was written through it all ({writes} writes)")
    check(all(untouched(v) for v in victims), f"{len(victims)} files behind planted links: "
          f"content and mode untouched")
    check(all((os.lstat(v).st_mode & 0o777) in (0o600, 0o640) for v in victims),
          "their modes kept")
    check(os.path.islink(os.path.join(d, "swapped")), "the swapped-in link is still a link")
    refusals = [e for e in run.events("evaluation_error") if e.get("policy") == "swapped" and
                "is a symbolic link (to " + swapped_victim + ")" in e["msg"]]
    check(len(refusals) >= 3, f"every tick on the link is refused, naming it ({len(refusals)} ticks)")
    json.load(open(state))  # the state file was written (and parses)
    check(not os.path.islink(state), "the state file is a file of its own")
    # 3. Modes kept.
    check((os.stat(os.path.join(d, "ro")).st_mode & 0o777) == 0o444 and
          read_count(os.path.join(d, "ro")) > 2, "a 0444 count file is rewritten and stays 0444")
    check((os.stat(os.path.join(d, "grouped")).st_mode & 0o777) == 0o640,
          "a 0640 count file stays 0640")
    # 4. Directory: no count shown.
    shown = [line.split()[-1] for line in metrics.splitlines()
             if line.startswith(('luascale_current_replicas{policy="dir"}',
                                 'luascale_desired_replicas{policy="dir"}'))]
    check(all(v != "0" for v in shown),
          f"a directory as the count file never shows as a count of 0 on /metrics "
          f"(current/desired shown: {shown or 'none'}; the last count read stays)")
    check('"current": null' in decisions and "is a directory, not a count file" in decisions,
          "/decisions says the target could not be read (current null)")
    leftovers = [f for f in os.listdir(d) if ".tmp." in f and not os.path.islink(os.path.join(d, f))]
    check(not leftovers, f"no temp file left behind ({leftovers})")

    # At start: a symlinked count file, state file or log file, and a directory, are refused.
    def refused(policy_target, state_file=None, what=""):
        cfg = os.path.join(d, "one.json")
        doc = {"policies": [{"name": "one", "script": "up.lua", "target": policy_target}]}
        if state_file:
            doc["state_file"] = state_file
        write_json(cfg, doc)
        rc, err = run_once(luascale, cfg)
        check(rc == 1 and what in err, f"refused at start: {err.strip().splitlines()[-1][:150]}")

    link = os.path.join(d, "link-count")
    os.symlink(victim("victim-start"), link)
    refused({"kind": "file", "path": link}, what="is a symbolic link (to ")
    refused({"kind": "file", "path": os.path.join(d, "dir")}, what="is a directory, not a file")
    state_link = os.path.join(d, "state-link.json")
    os.symlink(victim("victim-state"), state_link)
    refused(count_target("fresh"), state_file=state_link, what="state file " + state_link)
    log_link = os.path.join(d, "log-link")
    os.symlink(victim("victim-log"), log_link)
    cfg = os.path.join(d, "log.json")
    write_json(cfg, {"policies": [{"name": "l", "script": "up.lua",
                                   "target": {"kind": "log", "path": log_link, "replicas": 1}}]})
    rc, err = run_once(luascale, cfg)
    check("is a symbolic link" in err and untouched(os.path.join(d, "victim-log")),
          "a log actuator path that is a link is refused, its file untouched")
    check(all(untouched(v) for v in victims), "every victim file untouched at the end")

check.exit()
