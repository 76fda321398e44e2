checker::check_ex08!(ex08_dont_block);
