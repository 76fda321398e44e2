checker::check_ex03!(ex03_spawn_solution);
