namespace Tandem.FunctionalTests.Infrastructure;

internal static class Configs
{
    /// <summary>One simulator as provider "sim" with deployment "gpt" (upstream id gpt-4o-mini-2024-07-18) and route "chat".</summary>
    public const string Single = """
        auth:
          keys:
            - name: test
              key: sk-test-key-123456
        providers:
          - name: sim
            base_url: {sim0}
            timeouts: { connect: 2s, first_byte: 5s, total: 20s }
        deployments:
          - name: gpt
            provider: sim
            model: gpt-4o-mini-2024-07-18
        routes:
          - name: chat
            deployment: gpt
        """;
}
