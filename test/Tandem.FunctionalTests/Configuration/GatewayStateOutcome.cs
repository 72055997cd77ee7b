namespace Tandem.FunctionalTests.Configuration;

public sealed record GatewayStateOutcome(bool Succeeded, long Version, IReadOnlyList<string> Errors);
