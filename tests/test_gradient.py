"""The book's chapter 4 tools on plain functions."""

import pytest

import purenn


def function_2(x):
    return x[0] ** 2 + x[1] ** 2


def test_numerical_gradient_of_the_books_function():
    # the book: (6, 8), (0, 4) and (6, 0) at (3, 4), (0, 2) and (3, 0)
    for point, expected in [([3.0, 4.0], [6.0, 8.0]), ([0.0, 2.0], [0.0, 4.0]),
                            ([3.0, 0.0], [6.0, 0.0])]:
        grad = purenn.numerical_gradient(function_2, point)
        assert grad == pytest.approx(expected, abs=1e-9)


def test_numerical_gradient_restores_x_and_handles_nested_lists():
    x = [[1.0, 2.0], [3.0, -1.0]]
    grad = purenn.numerical_gradient(lambda m: sum(v ** 3 for row in m for v in row), x)
    assert x == [[1.0, 2.0], [3.0, -1.0]]
    assert grad == [pytest.approx([3.0, 12.0]), pytest.approx([27.0, 3.0])]


def test_gradient_descent_reaches_the_minimum():
    init_x = [-3.0, 4.0]
    x = purenn.gradient_descent(function_2, init_x, lr=0.1, step_num=100)
    assert init_x == [-3.0, 4.0]
    assert x == pytest.approx([-6.11110793e-10, 8.14814391e-10], abs=1e-15)
    assert max(abs(v) for v in x) < 1e-9


def test_gradient_descent_with_tiny_and_huge_learning_rates():
    barely = purenn.gradient_descent(function_2, [-3.0, 4.0], lr=1e-10, step_num=100)
    assert barely == pytest.approx([-2.99999994, 3.99999992], abs=1e-8)
    wild = purenn.gradient_descent(function_2, [-3.0, 4.0], lr=10.0, step_num=100)
    assert max(abs(v) for v in wild) > 1e10  # the book's lr = 10 diverges
