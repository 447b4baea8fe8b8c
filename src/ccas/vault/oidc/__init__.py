"""Optional login with a public identity through OpenID Connect (issue 9, decision 0027).

Off by default. The ``ccas.vault:oidc`` profile (or :func:`setup.enable`) adds
the plugin ``acl_users/identite-publique``; its provider (issuer, client id and
secret) is set with :func:`setup.enable` or in the ZMI. A person links their
public identity once, logged in with their password (``mon-coffre/compte``),
then may log in with it; an identity linked to nobody opens nothing.
"""
