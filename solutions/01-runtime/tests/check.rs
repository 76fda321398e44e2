checker::check_ex01!(ex01_runtime_solution);
