checker::check_ex05!(ex05_sequential_solution);
