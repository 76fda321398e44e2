checker::check_ex02!(ex02_lazy_solution);
