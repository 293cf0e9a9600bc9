"""The cdp command as a user meets it: help, area list, mistakes."""

from cdp_analysis.cli import main


def test_areas_lists_real_and_demo_areas(capsys):
    assert main(["areas", "--type", "cdp"]) == 0
    out = capsys.readouterr().out
    assert "Z95000001" in out and "Z09000001 + Z09000002" in out


def test_wrong_area_code_fails_cleanly_with_suggestion(capsys):
    assert main(["build", "--area", "E0900003"]) == 2
    err = capsys.readouterr().err
    assert "Unknown area 'E0900003'" in err and "E09000003" in err
    assert "Traceback" not in err


def test_batch_with_unknown_area_in_list(capsys):
    assert main(["batch", "--areas", "Z09000001,Z0900009"]) == 2
    assert "Z0900009" in capsys.readouterr().err
