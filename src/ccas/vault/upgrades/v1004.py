"""1003 → 1004: the vault's workflows become ``VaultWorkflowDefinition`` (decision 0029).

The definitions are kept as they are (states, maps, and whatever the
workflow policies changed in them); only their class changes.  The workflow
tool is saved again too, so that it refers to them by their new class.
Idempotent.
"""

from Acquisition import aq_base
from ccas.vault.workflows.definition import VaultWorkflowDefinition
from plone import api
from Products.DCWorkflow.DCWorkflow import DCWorkflowDefinition
import logging


logger = logging.getLogger("ccas.vault.upgrades")

WORKFLOWS = (
    "ccas_vault_directory_workflow",
    "ccas_vault_workflow",
    "ccas_vault_space_workflow",
    "ccas_vault_document_workflow",
    "ccas_vault_mandate_workflow",
    "ccas_vault_share_link_workflow",
)


def upgrade(context):
    tool = api.portal.get_tool("portal_workflow")
    converted = []
    for workflow_id in WORKFLOWS:
        workflow = aq_base(tool.getWorkflowById(workflow_id))
        if workflow is None or type(workflow) is not DCWorkflowDefinition:
            continue
        workflow.__class__ = VaultWorkflowDefinition
        workflow._p_changed = True
        converted.append(workflow_id)
    if converted:  # saving the tool again stores its references with the new class
        tool._objects = tuple(
            {**info, "meta_type": VaultWorkflowDefinition.meta_type}
            if info["id"] in converted
            else info
            for info in tool._objects
        )
    logger.info("ccas.vault upgraded to 1004: %s workflow(s) converted", len(converted))
    return converted
