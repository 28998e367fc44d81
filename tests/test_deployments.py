"""prefect.yaml and the served deployments describe the same two flows."""

import importlib.util
import sys

import yaml
from prefect import Flow

from commentary_monitor.config import ScheduleSettings, valid_cron

from .conftest import REPO


def test_prefect_yaml_points_at_real_flows_with_valid_schedules():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    assert spec["prefect-version"] == "3.8.8"
    names = set()
    for d in spec["deployments"]:
        path, func = d["entrypoint"].split(":")
        module_spec = importlib.util.spec_from_file_location(f"entry_{func}", REPO / path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_spec.name] = module   # dataclasses look their module up
        module_spec.loader.exec_module(module)
        flow = getattr(module, func)
        assert isinstance(flow, Flow)
        assert set(d["parameters"]) <= set(flow.parameters.properties)
        assert (REPO / d["parameters"]["config_path"]).exists()
        assert all(valid_cron(s["cron"]) for s in d["schedules"])
        assert d["concurrency_limit"] == 1 and d["work_pool"]["name"] == "commentary-monitor"
        names.add((flow.name, d["name"]))
    assert names == {("ingest", "ingest"), ("digest", "weekly-digest")}


def test_served_deployments_match():
    from commentary_monitor.flows.deployments import build_deployments

    ds = build_deployments("/x/monitor.toml", ScheduleSettings("*/5 * * * *", "0 7 * * 1", "Europe/London"))
    assert [(d.name, d.parameters) for d in ds] == [
        ("ingest", {"config_path": "/x/monitor.toml"}),
        ("weekly-digest", {"config_path": "/x/monitor.toml", "send": True})]
    crons = [(d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone) for d in ds]
    assert crons == [("*/5 * * * *", "Europe/London"), ("0 7 * * 1", "Europe/London")]


def test_the_flows_record_plain_parameters_as_they_are_and_others_through_prefect():
    from pathlib import PurePosixPath

    from commentary_monitor.flows.digest import digest
    from commentary_monitor.flows.ingest import ingest

    assert ingest.serialize_parameters({"config_path": "c.toml"}) == {"config_path": "c.toml"}
    assert digest.serialize_parameters({"config_path": None, "week": "2026-W46", "send": True}) == \
        {"config_path": None, "week": "2026-W46", "send": True}
    # anything else goes through Prefect's own encoder
    assert ingest.serialize_parameters({"config_path": PurePosixPath("c.toml")}) == {"config_path": "c.toml"}
