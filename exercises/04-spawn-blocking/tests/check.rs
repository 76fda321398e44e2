checker::check_ex04!(ex04_spawn_blocking);
