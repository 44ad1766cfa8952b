credauditInit();
