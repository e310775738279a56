#!/usr/bin/python3
"""Answers scheduling requests with nova's own scheduler code (nova 26, Zed).

Run with the system Python that has python3-nova (/usr/bin/python3). It reads
one JSON object per line on stdin and writes one JSON object per line on
stdout, in the order read:

    {"id": 1, "req": {...}}                  ->  {"id": 1, "out": {...}}
    {"id": 2, "bench": 50, "req": {...}}     ->  {"id": 2, "out": {...}, "ns_per_op": ...}

"req" is the request of the schedule tool (see package scheduler, json.go)
and "out" the decision in the same form. For each request it:

  * sets the [filter_scheduler], [metrics] and [DEFAULT] options of "conf"
    with oslo.config's set_override, clearing the previous request's;
  * builds a HostManager whose filters and weighers nova loads by name
    (HostManager._choose_host_filters, HostWeightHandler.get_matching_classes)
    and a SchedulerManager around it;
  * builds nova's HostState, RequestSpec, Flavor, ImageMeta, InstanceGroup,
    InstancePCIRequests, PciDeviceStats, MonitorMetricList, Aggregate and
    Destination objects from the JSON;
  * computes "weighed" with HostManager.get_filtered_hosts and
    get_weighed_hosts for the first instance, and "selected" with
    SchedulerManager._legacy_find_hosts (filtering, weighing, random choice,
    consumption, alternates), on fresh host states, after random.seed(seed).

What is stubbed, because it needs a database or RPC:

  * HostManager.__init__ (cells, aggregates and instances come from the
    database): the manager is created without it and given its filter and
    weigher objects the way __init__ makes them.
  * HostManager._get_computes_for_cells and _get_host_states (database
    reads): they return the request's hosts of the requested cells, in the
    order of the request, where nova iterates a set. get_host_states_by_uuids
    itself is nova's, so the cell restriction of a requested destination is
    nova's.
  * HostState._update_from_compute_node: the JSON gives free disk in MB where
    ComputeNode stores GB, so the attributes it would set are set directly
    (free_ram_mb, free_disk_mb, vcpus, counters, host_ip through netaddr, the
    supported instances through HVSpec, stats through nova's
    DictOfNullableStringsField, metrics as MonitorMetric objects, PCI pools as
    PciDeviceStats over PciDevicePool objects).
  * The service record has last_seen_up = now, so nova's servicegroup DB
    driver finds every service up unless it is forced down.
"""
import json
import logging
import math
import random
import sys
import time
import warnings

warnings.simplefilter("ignore")
logging.getLogger().addHandler(logging.NullHandler())
logging.getLogger().setLevel(logging.WARNING)

import netaddr  # noqa: E402
from oslo_utils import timeutils  # noqa: E402

import nova.conf  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova import exception  # noqa: E402
from nova import objects  # noqa: E402
from nova.objects import fields  # noqa: E402
from nova.pci import stats as pci_stats  # noqa: E402
from nova.scheduler import filters  # noqa: E402
from nova.scheduler import host_manager  # noqa: E402
from nova.scheduler import manager  # noqa: E402
from nova.scheduler import weights  # noqa: E402

objects.register_all()
CONF = nova.conf.CONF
# No configuration file: every option starts at nova's default.
CONF([], project="nova", default_config_files=[], default_config_dirs=[])

_overrides = []


def configure(conf):
    for name, group in _overrides:
        CONF.clear_override(name, group=group)
    _overrides.clear()
    for section, opts in (conf or {}).items():
        group = None if section == "DEFAULT" else section
        for name, value in opts.items():
            CONF.set_override(name, value, group=group)
            _overrides.append((name, group))


def make_manager():
    hm = object.__new__(host_manager.HostManager)
    hm.filter_handler = filters.HostFilterHandler()
    classes = hm.filter_handler.get_matching_classes(CONF.filter_scheduler.available_filters)
    hm.filter_cls_map = {cls.__name__: cls for cls in classes}
    hm.filter_obj_map = {}
    hm.enabled_filters = hm._choose_host_filters(hm._load_filters())
    hm.weight_handler = weights.HostWeightHandler()
    wclasses = hm.weight_handler.get_matching_classes(CONF.filter_scheduler.weight_classes)
    hm.weighers = [cls() for cls in wclasses]
    sm = object.__new__(manager.SchedulerManager)
    sm.host_manager = hm
    return hm, sm


_str_dict = fields.DictOfNullableStringsField()
_meta_dict = fields.DictOfStringsField()
_float = fields.FloatField()
_int = fields.IntegerField()


def build_host(i, h, now):
    node = h.get("node", h["host"])
    hs = host_manager.HostState(h["host"], node, h.get("cell_uuid", ""))
    hs.uuid = "00000000-0000-4000-9000-%012x" % (i + 1)
    hs.free_ram_mb = _int.coerce(None, "free_ram_mb", h.get("free_ram_mb", 0))
    hs.free_disk_mb = _int.coerce(None, "free_disk_mb", h.get("free_disk_mb", 0))
    hs.total_usable_ram_mb = _int.coerce(None, "total_usable_ram_mb", h.get("total_usable_ram_mb", 0))
    hs.total_usable_disk_gb = _int.coerce(None, "total_usable_disk_gb", h.get("total_usable_disk_gb", 0))
    hs.vcpus_total = _int.coerce(None, "vcpus_total", h.get("vcpus_total", 0))
    hs.vcpus_used = _int.coerce(None, "vcpus_used", h.get("vcpus_used", 0))
    hs.num_instances = _int.coerce(None, "num_instances", h.get("num_instances", 0))
    hs.num_io_ops = _int.coerce(None, "num_io_ops", h.get("num_io_ops", 0))
    hs.failed_builds = _int.coerce(None, "failed_builds", h.get("failed_builds", 0))
    ip = h.get("host_ip")
    hs.host_ip = netaddr.IPAddress(ip) if ip else None
    hs.hypervisor_type = h.get("hypervisor_type") or None
    hs.hypervisor_version = _int.coerce(None, "hypervisor_version", h.get("hypervisor_version", 0))
    hs.hypervisor_hostname = node
    hs.supported_instances = [objects.HVSpec.from_list(s).to_list() for s in h.get("supported_instances", [])]
    # ComputeNode's ratios are FloatFields, and it replaces a 0.0 (unset)
    # ratio by the configured default.
    hs.cpu_allocation_ratio = _float.coerce(None, "cpu_allocation_ratio", h.get("cpu_allocation_ratio") or 16.0)
    hs.ram_allocation_ratio = _float.coerce(None, "ram_allocation_ratio", h.get("ram_allocation_ratio") or 1.5)
    hs.disk_allocation_ratio = _float.coerce(None, "disk_allocation_ratio", h.get("disk_allocation_ratio") or 1.0)
    hs.stats = _str_dict.coerce(None, "stats", h.get("stats", {}))
    hs.metrics = objects.MonitorMetricList(objects=[
        objects.MonitorMetric(name=k, value=v, source="oracle", timestamp=now)
        for k, v in h.get("metrics", {}).items()])
    hs.aggregates = [
        objects.Aggregate(id=i, name="agg%d" % i, hosts=[h["host"]],
                          metadata=_meta_dict.coerce(None, "metadata", md))
        for i, md in enumerate(h.get("aggregates", []))]
    hs.instances = {u: objects.Instance(uuid=u) for u in h.get("instances", [])}
    pools = []
    for p in h.get("pci_pools", []):
        p = dict(p)
        pool = objects.PciDevicePool(vendor_id=p.pop("vendor_id"), product_id=p.pop("product_id"),
                                     numa_node=p.pop("numa_node", None), count=p.pop("count"),
                                     tags=_str_dict.coerce(None, "tags", p))
        pools.append(pool)
    hs.pci_stats = pci_stats.PciDeviceStats(None, stats=objects.PciDevicePoolList(objects=pools))
    svc = h.get("service", {})
    hs.service = host_manager.ReadOnlyDict({
        "disabled": svc.get("disabled", False),
        "disabled_reason": svc.get("disabled_reason") or None,
        "forced_down": svc.get("forced_down", False),
        "created_at": now,
        "last_seen_up": now,
    })
    return hs


def instance_uuids(spec):
    if spec.get("instance_uuids"):
        return list(spec["instance_uuids"])
    n = spec.get("num_instances") or 1
    return ["00000000-0000-4000-8000-%012x" % (i + 1) for i in range(n)]


def build_spec(spec, uuids):
    flavor = objects.Flavor(name=spec.get("flavor_name", ""), memory_mb=spec.get("memory_mb", 0),
                            vcpus=spec.get("vcpus", 0), root_gb=spec.get("root_gb", 0),
                            ephemeral_gb=spec.get("ephemeral_gb", 0), swap=spec.get("swap", 0),
                            extra_specs=spec.get("extra_specs", {}))
    image = {"properties": spec.get("image_props", {})}
    if spec.get("image_id"):
        image["id"] = spec["image_id"]
    hints = {k: v if isinstance(v, list) else [v] for k, v in spec.get("hints", {}).items()}
    group = None
    g = spec.get("group")
    if g is not None:
        policy = g.get("policy")
        group = objects.InstanceGroup(uuid="00000000-0000-4000-a000-000000000001", policy=policy,
                                      policies=[policy] if policy else [],
                                      members=list(g.get("members", [])), hosts=list(g.get("hosts", [])),
                                      rules=_meta_dict.coerce(None, "rules", g.get("rules", {})))
    pci = objects.InstancePCIRequests(requests=[
        objects.InstancePCIRequest(count=r["count"], spec=r.get("spec", []), alias_name=r.get("alias_name"))
        for r in spec.get("pci_requests", [])])
    retry = None
    if spec.get("retry") is not None:
        r = spec["retry"]
        retry = objects.SchedulerRetries(
            num_attempts=r.get("num_attempts", 0),
            hosts=objects.ComputeNodeList(objects=[
                objects.ComputeNode(host=h, hypervisor_hostname=n) for h, n in r.get("hosts", [])]))
    dest = None
    d = spec.get("requested_destination")
    if d is not None:
        dest = objects.Destination(allow_cross_cell_move=d.get("allow_cross_cell_move", False))
        if d.get("host"):
            dest.host = d["host"]
            dest.node = d.get("node") or None
        if d.get("cell"):
            dest.cell = objects.CellMapping(uuid=d["cell"])
    spec = objects.RequestSpec(
        flavor=flavor, image=objects.ImageMeta.from_dict(image), numa_topology=None,
        num_instances=spec.get("num_instances") or 1,
        project_id=spec.get("project_id") or None,
        availability_zone=spec.get("availability_zone") or None,
        scheduler_hints=hints,
        ignore_hosts=spec.get("ignore_hosts"), force_hosts=spec.get("force_hosts"),
        force_nodes=spec.get("force_nodes"),
        instance_group=group, pci_requests=pci, retry=retry, requested_destination=dest,
        instance_uuid=uuids[0])
    # as RequestSpec.from_components leaves it
    spec.obj_set_defaults()
    return spec


def stub_host_lookup(hm, hosts_json, now):
    """Give hm the database reads of get_host_states_by_uuids."""
    cells = []
    for h in hosts_json:
        c = h.get("cell_uuid", "")
        if c not in cells:
            cells.append(c)
    hm.cells = {c: objects.CellMapping(uuid=c) for c in cells}
    hm.enabled_cells = list(hm.cells.values())

    def computes(context, cell_list, compute_uuids):
        wanted = [c.uuid for c in cell_list]
        return {c: [h for h in hosts_json if h.get("cell_uuid", "") == c] for c in wanted}, {}

    def host_states(context, compute_nodes, services):
        keep = {id(h) for hs in compute_nodes.values() for h in hs}
        return (build_host(i, h, now) for i, h in enumerate(hosts_json) if id(h) in keep)

    hm._get_computes_for_cells = computes
    hm._get_host_states = host_states


def json_float(f):
    """A weight as JSON: a number, or "nan", "inf", "-inf"."""
    return f if math.isfinite(f) else repr(f)


def where(exc):
    """The nova filter or weigher an exception came from, and its host."""
    tb = exc.__traceback__
    found = None
    host = None
    while tb is not None:
        f = tb.tb_frame
        path = f.f_code.co_filename
        h = f.f_locals.get("host_state") or f.f_locals.get("obj")
        if h is not None and hasattr(h, "obj"):
            h = h.obj
        if getattr(h, "host", None) is not None:
            host = h.host
        if "/nova/scheduler/filters/" in path or "/nova/scheduler/weights/" in path:
            obj = f.f_locals.get("self")
            if obj is not None:
                stage = "filter" if "/filters/" in path else "weigher"
                found = [stage, obj.__class__.__name__]
        tb = tb.tb_next
    return found + [host] if found else None


def decide(req, bench=0):
    configure(req.get("conf"))
    hm, sm = make_manager()
    out = {"filters": [f.__class__.__name__ for f in hm.enabled_filters],
           "weighers": [w.__class__.__name__ for w in hm.weighers],
           "weighed": [], "selected": []}
    spec_json = req.get("spec", {})
    uuids = instance_uuids(spec_json)
    now = timeutils.utcnow()
    stub_host_lookup(hm, req.get("hosts", []), now)
    ctx = nova_context.RequestContext(user_id="oracle", project_id="oracle", is_admin=True)
    num_alts = req.get("num_alts", 0)
    seed = req.get("seed", 0)
    try:
        spec = build_spec(spec_json, uuids)
        hosts = hm.get_host_states_by_uuids(ctx, None, spec)
        filtered = hm.get_filtered_hosts(list(hosts), spec, 0)
        if filtered:
            out["weighed"] = [[w.obj.host, json_float(w.weight)] for w in hm.get_weighed_hosts(filtered, spec)]
    except Exception as e:  # noqa: BLE001
        out["error"] = "%s: %s" % (type(e).__name__, e)
        out["error_at"] = where(e)
        return out, None
    elapsed = 0.0
    runs = max(bench, 1)
    for _ in range(runs):
        spec = build_spec(spec_json, uuids)
        # nova builds the host states lazily, inside the loop; they are
        # built before the clock starts so that only scheduling is timed.
        hosts = list(hm.get_host_states_by_uuids(ctx, None, spec))
        random.seed(seed)
        try:
            t0 = time.perf_counter_ns()
            sels = sm._legacy_find_hosts(ctx, len(uuids), spec, hosts, num_alts, instance_uuids=uuids)
            elapsed += time.perf_counter_ns() - t0
            out["selected"] = [[s.service_host for s in row] for row in sels]
            out.pop("error", None)
        except exception.NoValidHost:
            out["selected"] = []
            out["error"] = "NoValidHost"
        except Exception as e:  # noqa: BLE001
            out["selected"] = []
            out["error"] = "%s: %s" % (type(e).__name__, e)
            out["error_at"] = where(e)
    return out, (elapsed / runs if bench else None)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        try:
            out, ns = decide(msg["req"], msg.get("bench", 0))
            reply = {"id": msg.get("id"), "out": out}
            if ns is not None:
                reply["ns_per_op"] = ns
        except Exception as e:  # noqa: BLE001
            reply = {"id": msg.get("id"), "fatal": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
