using System.Linq;
using System.Reflection;
using Xunit;

namespace MultiMax.Generator.Tests.Modulator;

/// <summary>
/// A modulator's learnable argument becomes a property of the TorchSharp module; the generator refuses (MMX0021, the
/// Torch backend only) a name the module already has. Its list must cover every member TorchSharp's Module has.
/// </summary>
public class TorchModuleMembersTests
{
    [Fact]
    public void TheReservedNamesCoverEveryMemberOfTorchSharpsModule()
    {
        const BindingFlags every = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy;
        string[] inherited = typeof(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>).GetMembers(every)
            .Where(VisibleToASubclass)
            .Select(m => m.Name)
            .Where(n => !n.Contains('.') && !n.StartsWith("get_") && !n.StartsWith("set_") && !n.StartsWith("add_") && !n.StartsWith("remove_") || n == "add_module")
            .Distinct()
            .ToArray();
        Assert.Empty(inherited.Except(NormalizerGenerator.TorchModuleMembers));
    }

    private static bool VisibleToASubclass(MemberInfo member) => member switch
    {
        MethodBase method => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly,
        FieldInfo field => field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly,
        PropertyInfo property => (property.GetMethod ?? property.SetMethod) is { } accessor && (accessor.IsPublic || accessor.IsFamily || accessor.IsFamilyOrAssembly),
        System.Type type => type.IsNestedPublic || type.IsNestedFamily,
        _ => false,
    };
}
