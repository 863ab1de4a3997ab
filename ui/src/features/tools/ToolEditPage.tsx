import { EditEntityPage, NewEntityPage } from '../../components/EntityEdit';
import { tools } from './api';
import { ToolForm } from './ToolForm';

export function NewToolPage() {
  return <NewEntityPage title="New tool" listPath="/tools" listTitle="Tools"><ToolForm /></NewEntityPage>;
}

export function ToolEditPage() {
  return <EditEntityPage what="Tool" listPath="/tools" listTitle="Tools" useOne={tools.useOne}
    form={(tool, reload) => <ToolForm tool={tool} onReload={reload} />} />;
}
