using SimpleXLedger.Cli;

return await SxlApp.RunAsync(args);
