package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;
import java.util.List;

/**
 * An Elasticsearch node whose modules are plugin classes on the JVM classpath. It lives in
 * Elasticsearch's package because {@code NodeConstruction} and {@code NodeServiceProvider} are
 * package-private; everything else is the stock server.
 */
public final class ClasspathPluginNode extends Node {

    /**
     * Builds (does not start) a node.
     *
     * @param environment   the prepared environment (paths and settings)
     * @param pluginClasses plugin classes to load, for example the netty4 HTTP transport
     */
    public ClasspathPluginNode(Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(
            NodeConstruction.prepareConstruction(
                environment,
                ClasspathPluginsService.emptyLoader(),
                new ClasspathServiceProvider(List.copyOf(pluginClasses)),
                true
            )
        );
    }

    /** Hands the node a PluginsService that instantiates classpath plugins. */
    private static final class ClasspathServiceProvider extends NodeServiceProvider {
        private final List<Class<? extends Plugin>> pluginClasses;

        ClasspathServiceProvider(List<Class<? extends Plugin>> pluginClasses) {
            this.pluginClasses = pluginClasses;
        }

        @Override
        PluginsService newPluginService(Environment environment, PluginsLoader pluginsLoader) {
            return new ClasspathPluginsService(environment.settings(), environment, pluginClasses);
        }
    }
}
