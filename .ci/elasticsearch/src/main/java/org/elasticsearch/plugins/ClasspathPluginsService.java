package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * A PluginsService that loads no plugin bundles from disk and instead instantiates the given
 * plugin classes straight from the JVM classpath. It lives in Elasticsearch's package because
 * {@code PluginsService.LoadedPlugin} and {@code loadPlugin} are package-private; this is the
 * only way to add modules (such as transport-netty4) that are jars on the classpath rather than
 * directories under {@code modules/}.
 */
public final class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> allPlugins;

    /**
     * Creates the service and instantiates every class in {@code pluginClasses}.
     *
     * @param settings      the node settings as they are before plugins add theirs
     * @param environment   the node environment (its config directory is handed to plugins)
     * @param pluginClasses plugin classes to instantiate, in order
     */
    public ClasspathPluginsService(Settings settings, Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(settings, environment.configDir(), emptyLoader());
        Path configDir = environment.configDir();
        List<LoadedPlugin> loaded = new ArrayList<>(super.plugins());
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin instance = loadPlugin(pluginClass, settings, configDir);
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getName(),
                "loaded from the classpath",
                Build.current().version(),
                Build.current().version(),
                "17",
                pluginClass.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false
            );
            loaded.add(new LoadedPlugin(descriptor, instance, pluginClass.getClassLoader()));
        }
        loadExtensions(loaded);
        this.allPlugins = List.copyOf(loaded);
    }

    /**
     * A loader with no module and no plugin bundles: everything comes from the classpath. The
     * public factory cannot be used because it expects the server jar on the module path.
     */
    public static PluginsLoader emptyLoader() {
        return new PluginsLoader(Set.of(), Set.of(), Map.of());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return allPlugins;
    }

    /**
     * Every classpath plugin shares the application class loader, so asking each plugin's loader
     * (what the stock service does) would return the same providers once per plugin. Load them
     * once from the shared loader instead. As in the stock service, a provider whose constructor
     * takes a plugin (x-pack security's slow-log field provider takes {@code Security}) is built
     * with that plugin's instance, and left out when that plugin is not loaded (its jar is on the
     * classpath all the same); other providers use their no-argument constructor.
     */
    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        List<T> providers = new ArrayList<>();
        for (ServiceLoader.Provider<T> provider : ServiceLoader.load(service, ClasspathPluginsService.class.getClassLoader())
            .stream()
            .toList()) {
            Constructor<?> withPlugin = pluginConstructor(provider.type());
            if (withPlugin == null) {
                providers.add(provider.get());
                continue;
            }
            for (LoadedPlugin plugin : allPlugins == null ? List.<LoadedPlugin>of() : allPlugins) {
                if (withPlugin.getParameterTypes()[0].isInstance(plugin.instance())) {
                    try {
                        providers.add(service.cast(withPlugin.newInstance(plugin.instance())));
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException("cannot build " + provider.type().getName() + " with plugin " + plugin.descriptor().getName(), e);
                    }
                    break;
                }
            }
        }
        return providers;
    }

    /** The provider's public constructor taking one plugin, or null when it has none. */
    private static Constructor<?> pluginConstructor(Class<?> type) {
        for (Constructor<?> constructor : type.getConstructors()) {
            if (constructor.getParameterCount() == 1 && Plugin.class.isAssignableFrom(constructor.getParameterTypes()[0])) {
                return constructor;
            }
        }
        return null;
    }
}
