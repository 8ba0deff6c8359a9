package org.elasticsearch.xpack.security.classpath;

import org.elasticsearch.action.ActionRequest;
import org.elasticsearch.action.ActionResponse;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.xpack.security.Security;

import java.util.ArrayList;
import java.util.List;

/**
 * X-Pack security without its SAML parts. The SAML transport actions link against OpenSAML,
 * which is not published on Maven Central; every other part of security (the file realm, the
 * anonymous user, API keys, authorization) does not. The actions whose classes cannot be linked
 * are left out, and named on stderr, so the node starts with the rest of security working.
 */
public class SecurityWithoutSaml extends Security {
    /**
     * @param settings node settings
     */
    public SecurityWithoutSaml(Settings settings) {
        super(settings);
    }

    @Override
    public List<ActionHandler<? extends ActionRequest, ? extends ActionResponse>> getActions() {
        List<ActionHandler<? extends ActionRequest, ? extends ActionResponse>> kept = new ArrayList<>();
        for (ActionHandler<? extends ActionRequest, ? extends ActionResponse> handler : super.getActions()) {
            try {
                handler.getTransportAction().getConstructors();
                kept.add(handler);
            } catch (NoClassDefFoundError e) {
                System.err.println("sigmabridge-es: security action " + handler.getAction().name() + " left out: needs " + e.getMessage());
            }
        }
        return kept;
    }
}
