using SimpleXLedger.Audit;

return await AuditApp.RunAsync(args);
