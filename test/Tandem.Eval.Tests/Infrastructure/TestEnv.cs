using Tandem.Runtime;
using Tandem.Simulator;

namespace Tandem.Eval.Tests.Infrastructure;

/// <summary>Gateway snapshots in front of simulators; the helpers themselves live in test/Tandem.Tests.Common.</summary>
internal static class TestEnv
{
    /// <summary>The current test's token (same as <see cref="TestRun.Ct"/>, which new code uses directly as <c>Ct</c>).</summary>
    public static CancellationToken Ct => TestRun.Ct;

    /// <summary>Compiles <paramref name="yaml"/> with {sim0}, {sim1}… replaced by the simulators' /v1 URLs.</summary>
    public static GatewaySnapshot Snapshot(string yaml, params SimulatorServer[] sims) =>
        GatewayConfigs.Snapshot(yaml, sims.Select(s => s.V1));
}
