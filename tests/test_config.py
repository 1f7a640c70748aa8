import pytest

from wann.config import config_from_dict, load_config, parse_override
from wann.errors import UserError
from tests.conftest import REPO


def test_shipped_configs_load_with_paper_settings():
    cfg = load_config(REPO / "configs" / "swingup.toml")
    assert (cfg.search.pop_size, cfg.run.generations, cfg.task.rollouts, cfg.search.tournament_size) == (192, 1024, 3, 8)
    assert cfg.search.p_init == 0.5 and cfg.search.weights == [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]
    assert cfg.search.mutation_probs == (0.20, 0.25, 0.05, 0.50)
    assert (cfg.search.cull_ratio, cfg.search.elite_ratio, cfg.search.prob_moo) == (0.2, 0.2, 0.8)
    lap = load_config(REPO / "configs" / "swingup_laptop.toml")
    assert (lap.search.pop_size, lap.search.tournament_size, lap.search.elite_ratio) == (64, 4, 0.05)


def test_unknown_key_lists_valid_keys():
    with pytest.raises(UserError, match=r"unknown key\(s\) \['pop'\] in \[search\]; valid keys: .*pop_size"):
        config_from_dict({"search": {"pop": 3}}, [], "x.toml")


def test_unknown_section_and_task():
    with pytest.raises(UserError, match="unknown section"):
        config_from_dict({"serch": {}}, [])
    with pytest.raises(UserError, match="unknown task 'nope'"):
        config_from_dict({"task": {"name": "nope"}}, [])


def test_wrong_type_is_named():
    with pytest.raises(UserError, match=r"\[search\] pop_size = '3' should be of type int"):
        config_from_dict({"search": {"pop_size": "3"}}, [])
    with pytest.raises(UserError, match="rollouts"):
        config_from_dict({"task": {"rollouts": 0}}, [])


def test_overrides_parse_toml_values_and_apply():
    assert parse_override("search.weights=[1, 2]") == ("search", "weights", [1, 2])
    assert parse_override("run.name=abc") == ("run", "name", "abc")
    cfg = config_from_dict({}, ["search.pop_size=12", "search.p_init=1"])
    assert cfg.search.pop_size == 12 and cfg.search.p_init == 1.0
    with pytest.raises(UserError, match="section.key=value"):
        parse_override("pop_size=3")


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\n")
    with pytest.raises(UserError, match="bad.toml: not valid TOML"):
        load_config(bad)


def test_resolved_config_round_trips_through_toml():
    import tomllib

    cfg = config_from_dict({"search": {"pop_size": 10}}, [])
    again = config_from_dict(tomllib.loads(cfg.to_toml()), [])
    assert again.to_dict() == cfg.to_dict()
