namespace Tandem.Telemetry;

/// <summary>Every log event id Tandem uses, in one table so that they stay unique across its assemblies.</summary>
public static class EventIds
{
#pragma warning disable CS1591 // The names say what they are; the messages live with their [LoggerMessage] methods.
    // Configuration 1–9
    public const int ConfigLoaded = 1;
    public const int ConfigReloadFailed = 2;
    public const int ConfigReloaded = 3;
    public const int AuthDisabled = 4;
    public const int ConfigWarning = 5;

    // Request path 10–29
    public const int UpstreamFailed = 10;
    public const int UpstreamTimeout = 11;
    public const int StreamInterrupted = 12;
    public const int ClientAborted = 13;
    public const int FallingBack = 14;
    public const int UnhandledError = 20;
    public const int ShuttingDown = 21;

    // Records and storage 30–39
    public const int RecordsDropped = 30;
    public const int BatchFailed = 31;
    public const int StorageRecovered = 32;
    public const int FlushIncomplete = 33;
    public const int Maintenance = 34;
    public const int MaintenanceFailed = 35;
    public const int StorageOpened = 36;
    public const int StorageUnusable = 37;
    public const int StorageSettingsChanged = 38;
    public const int WriterStopped = 39;

    // Migrations 40–59
    public const int ShadowDropped = 40;
    public const int ShadowFailed = 41;
    public const int StageChanged = 42;
    public const int Drift = 43;
    public const int GateHeld = 44;
    public const int RecordDroppedAfterStop = 45;
    public const int EvaluationFailed = 50;
    public const int RetirementNear = 51;
    public const int MigrationStateUnreadable = 52;
    public const int MigrationStateRead = 53;
    public const int DriftNotStored = 54;
    public const int LifecycleUpdated = 55;
    public const int AdapterReloaded = 56;
    public const int AdapterLoadFailed = 57;
    public const int AdaptersUnreadable = 58;

    /// <summary>One end user's rows were erased (privacy; 90-99 are privacy and hardening events).</summary>
    public const int EndUserErased = 90;

    /// <summary>The TLS certificate was read again after its files changed.</summary>
    public const int CertificateReloaded = 91;

    /// <summary>The TLS certificate files changed but did not load; the previous certificate stays.</summary>
    public const int CertificateReloadFailed = 92;

    // 100-109: access (virtual keys, audit) and instances sharing one database.
    public const int KeysRefreshed = 100;
    public const int SyncFailed = 101;
    public const int AuditWriteFailed = 102;
    public const int ConfigReloadedByPeer = 103;
    // Budgets and rate limits 80–89
    public const int LimitStoreFailed = 80;
    public const int LimitStoreRecovered = 81;
    public const int LimitAlert = 82;
    public const int LimitSettleFailed = 83;
    public const int LimitWebhookFailed = 84;

    // Dashboard 110-119
    public const int DashboardAction = 110;
#pragma warning restore CS1591
}
