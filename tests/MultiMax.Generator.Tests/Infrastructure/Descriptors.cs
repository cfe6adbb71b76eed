using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Diagnostics;

namespace MultiMax.Generator.Tests.Infrastructure;

/// <summary>Every descriptor the generator declares, read from <see cref="DiagnosticDescriptors"/>' fields.</summary>
internal static class Descriptors
{
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
        typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(field => field.GetValue(null)).OfType<DiagnosticDescriptor>().ToList();
}
