checker::check_ex06!(ex06_concurrent);
