namespace Tandem; internal static class Placeholder {}
