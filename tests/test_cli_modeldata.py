"""The model files the commands read (``purenn/commands/modeldata.py``): a file of another
kind named with what to do, a checkpoint told apart from a model, names refused before
any work, and the data a model was trained on found again (or said to be gone)."""

import os

from helpers import run_purenn, words
from tiny_mnist import write_tiny_mnist

import purenn


def test_files_of_the_wrong_kind_are_named_with_what_to_do(tiny_model, tmp_path):
    picture = tmp_path / "curves.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    result = run_purenn("evaluate", str(picture))
    assert result.returncode == 1
    assert result.stderr == (f"error: {picture}: not a purenn model file but a PNG image; "
                             f"MODEL is a file written by 'python3 -m purenn train --out "
                             f"model.safetensors'\n")
    archive = tmp_path / "sample.npz"
    archive.write_bytes(b"PK\x03\x04" + bytes(100))
    result = run_purenn("export", str(archive), "-o", str(tmp_path / "w.npz"))
    assert result.returncode == 1
    assert "not a purenn model file but a NumPy .npz archive; make a model of its arrays " \
           f"with 'python3 -m purenn import {archive} --spec SPEC" in result.stderr
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"\xff" * 64)
    result = run_purenn("predict", str(junk), "0")
    assert result.returncode == 1 and "not a purenn model file (" in result.stderr


def test_a_checkpoint_is_not_a_model_but_says_how_to_get_one(tiny_model, tmp_path):
    folder = tmp_path / "ckpt"
    result = run_purenn("train", "--data", tiny_model["data"], "--epochs", "1",
                        "--batch-size", "60", "--quiet", "--checkpoint-dir", str(folder))
    assert result.returncode == 0, result.stderr
    checkpoint = folder / "checkpoint.safetensors"
    result = run_purenn("evaluate", str(checkpoint))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {checkpoint}: a training checkpoint, not a model "
                                    f"file; write the model with 'python3 -m purenn train "
                                    f"--resume {checkpoint} --out model.safetensors'")
    model = tmp_path / "from-checkpoint.safetensors"
    result = run_purenn("train", "--resume", str(checkpoint), "--out", str(model), "--quiet")
    assert result.returncode == 0, result.stderr
    assert purenn.load(model).training["epochs"] == 1


def test_a_model_file_named_like_another_kind_is_refused(tiny_model, tmp_path):
    result = run_purenn("train", "--data", tiny_model["data"], "--epochs", "1", "--out",
                        str(tmp_path / "model.npz"))
    assert result.returncode == 1
    assert "--out " in result.stderr and "a model file is safetensors, not a NumPy archive " \
        "(.npz); name it" in result.stderr and "export MODEL -o" in result.stderr
    assert not (tmp_path / "model.npz").exists()
    result = run_purenn("export", tiny_model["model"], "-o", str(tmp_path / "w.safetensors"))
    assert result.returncode == 1 and "export writes a NumPy .npz archive" in result.stderr


def test_evaluate_and_predict_use_the_folder_the_model_was_trained_on(tiny_model):
    trained_on = purenn.load(tiny_model["model"]).training["data_dir"]
    assert trained_on == os.path.abspath(tiny_model["data"])
    result = run_purenn("evaluate", tiny_model["model"])
    assert result.returncode == 0, result.stderr
    assert f"data: MNIST from {os.path.abspath(tiny_model['data'])}, test split (the model's " \
           f"training data): 40 samples" in words(result.stdout)
    result = run_purenn("predict", tiny_model["model"], "3")
    assert result.returncode == 0, result.stderr
    assert "test sample 3 of MNIST from " in result.stdout
    assert "(the model's training data)" in words(result.stdout)


def test_a_missing_training_folder_is_said_with_the_data_used_instead(tiny_model, tmp_path):
    data = write_tiny_mnist(tmp_path / "gone")
    model = tmp_path / "m.safetensors"
    result = run_purenn("train", "--data", data, "--epochs", "1", "--quiet", "--out",
                        str(model))
    assert result.returncode == 0, result.stderr
    for name in os.listdir(data):
        os.remove(os.path.join(data, name))
    os.rmdir(data)
    result = run_purenn("evaluate", str(model))
    assert result.returncode == 0, result.stderr
    assert f"data: MNIST from the bundled subset, test split (the model was trained on " \
           f"{os.path.abspath(data)}, which is not there; pass --data DIR): 2000 samples" \
           in words(result.stdout)
