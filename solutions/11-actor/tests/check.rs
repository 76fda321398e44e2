checker::check_ex11!(ex11_actor_solution);
