"""``purenn predict`` (``purenn/commands/predict.py``): a learner's own drawing of any size
and colors, and the prompt for indices."""

import os

from helpers import run_purenn

import purenn


def test_predict_a_learners_color_drawing_of_any_size(tiny_model, tmp_path):
    from purenn.viz import png

    drawing = bytes(0 if 30 <= x < 40 and 10 <= y < 70 else 255       # a dark "1" on paper
                    for y in range(80) for x in range(100))
    png.write_png(tmp_path / "one.png", 100, 80,
                  bytes(c for v in drawing for c in (v, v, v)), channels=3)
    # run where the drawing is: the header line stays short (a long path wraps at 80)
    result = run_purenn("predict", tiny_model["model"], "one.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("image file one.png\n  RGB made gray\n  100x80 scaled into "
            "20x20, centred by centre of mass in 28x28 (as MNIST)\n  inverted: dark ink "
            "on a light background detected\n") in result.stdout
    assert "prediction " in result.stdout


def test_the_index_prompt_explains_itself_and_ends_cleanly_on_ctrl_c(tiny_model, capsys):
    import argparse

    from purenn.commands import predict

    args = argparse.Namespace(model=tiny_model["model"], dataset=None, data=None, split="test",
                              invert=None)
    lines = []
    predictor = predict.Predictor(args, purenn.load(tiny_model["model"]), lines.append, False,
                                  purenn.load(tiny_model["model"]).training)
    answers = iter(["abc\n", "3\n"])

    def read_line():
        try:
            return next(answers)
        except StopIteration:
            raise KeyboardInterrupt from None
    assert predict.prompt_loop(predictor, None, True, read_line) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        f"indices 0..39 of the MNIST from {os.path.abspath(tiny_model['data'])}, test split (the "
        f"model's training data)\n"
        f"type an index or an image file; an empty line, q or Ctrl-D quits\n"
        f"\n")                              # Ctrl-C ended the prompt's line
    assert captured.err == "error: 'abc' is not an index or a file (a PNG or PGM image)\n"
    assert any(line.startswith("test sample 3 of ") for line in lines)
